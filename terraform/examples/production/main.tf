# Odin on an existing cluster, with a managed PostgreSQL and mTLS issued by cert-manager.
terraform {
  required_providers {
    helm       = { source = "hashicorp/helm", version = ">= 2.12.0, < 3.0.0" }
    kubernetes = { source = "hashicorp/kubernetes", version = ">= 2.25.0" }
  }
}

provider "kubernetes" {
  config_path = "~/.kube/config"
}

provider "helm" {
  kubernetes {
    config_path = "~/.kube/config"
  }
}

variable "database_url" {
  type      = string
  sensitive = true
}

module "odin" {
  source = "../../odin"

  namespace        = "odin"
  image_repository = "registry.example.com/odin/odin"
  image_tag        = "0.1.0"
  database_url     = var.database_url
  shard_count      = 2048

  replicas = {
    frontend = 3
    history  = 5
    matching = 3
    worker   = 2
  }
  autoscaling = {
    enabled               = true
    frontend_max_replicas = 12
    matching_max_replicas = 8
    target_cpu_percent    = 70
  }
  tls = {
    frontend = { enabled = true, cert_manager_issuer = "odin-ca", dns_names = ["odin.example.com"] }
    internal = { enabled = true, cert_manager_issuer = "odin-ca" }
  }
  service_monitor  = true
  runbook_base_url = "https://odin.example.com/docs/operations.md"
}

output "frontend_address" {
  value = module.odin.frontend_address
}
