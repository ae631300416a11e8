variable "namespace" {
  description = "Kubernetes namespace of the release."
  type        = string
  default     = "odin"
}

variable "create_namespace" {
  description = "Create the namespace (false when it exists already)."
  type        = bool
  default     = true
}

variable "release_name" {
  description = "Helm release name; objects are named <release_name>-<role> (the chart's full name is the release name when it contains \"odin\")."
  type        = string
  default     = "odin"
}

variable "chart_path" {
  description = "Path of the Odin chart (helm/odin of the repository), or a chart reference with chart_repository."
  type        = string
  default     = null
}

variable "chart_repository" {
  description = "Helm repository that serves the chart when chart_path is not a local folder."
  type        = string
  default     = null
}

variable "chart_version" {
  description = "Chart version, when the chart comes from a repository."
  type        = string
  default     = null
}

variable "image_repository" {
  description = "Image built from deploy/docker/Dockerfile."
  type        = string
  default     = "odin"
}

variable "image_tag" {
  description = "Image tag; empty = the chart's appVersion."
  type        = string
  default     = ""
}

variable "database_url" {
  description = "postgres://… or mysql://… URL; stored in a Secret this module creates. Leave null to use database_existing_secret."
  type        = string
  default     = null
  sensitive   = true
}

variable "database_existing_secret" {
  description = "Name of an existing Secret holding the URL under database_secret_key (instead of database_url)."
  type        = string
  default     = null
}

variable "database_secret_key" {
  description = "Key of the database URL inside the Secret."
  type        = string
  default     = "connection-url"
}

variable "database_pool_size" {
  description = "Database connections per Odin process."
  type        = number
  default     = 20
}

variable "shard_count" {
  description = "History shards; fixed when the database is first used, never change it afterwards."
  type        = number
  default     = 512
}

variable "log_level" {
  description = "trace, debug, info, warn, error or fatal."
  type        = string
  default     = "info"
}

variable "replicas" {
  description = "Pods per role."
  type = object({
    frontend = number
    history  = number
    matching = number
    worker   = number
  })
  default = {
    frontend = 2
    history  = 3
    matching = 2
    worker   = 1
  }
}

variable "autoscaling" {
  description = "HorizontalPodAutoscalers of the frontend and matching roles (replicas then sets their minimum)."
  type = object({
    enabled               = bool
    frontend_max_replicas = number
    matching_max_replicas = number
    target_cpu_percent    = number
  })
  default = {
    enabled               = false
    frontend_max_replicas = 10
    matching_max_replicas = 6
    target_cpu_percent    = 70
  }
}

variable "tls" {
  description = <<-EOT
    TLS of the client port (frontend) and of the ports between roles (internal). For each: a Secret holding tls.crt,
    tls.key and ca.crt — either created here from PEM strings (cert_pem and ca_pem here, the key in tls_private_keys),
    or an existing one (existing_secret), or issued by cert-manager (cert_manager_issuer, a ClusterIssuer name).
  EOT
  type = object({
    frontend = optional(object({
      enabled             = bool
      require_client_cert = optional(bool, true)
      existing_secret     = optional(string)
      cert_pem            = optional(string)
      ca_pem              = optional(string)
      cert_manager_issuer = optional(string)
      dns_names           = optional(list(string), [])
    }), { enabled = false })
    internal = optional(object({
      enabled             = bool
      existing_secret     = optional(string)
      cert_pem            = optional(string)
      ca_pem              = optional(string)
      cert_manager_issuer = optional(string)
      # The DNS name every internal certificate must be valid for; null = the chart's "<release>-internal".
      server_name = optional(string)
    }), { enabled = false })
  })
  default = {}
}

variable "tls_private_keys" {
  description = "PEM private keys of the certificates given as cert_pem in tls (frontend, internal)."
  type = object({
    frontend = optional(string)
    internal = optional(string)
  })
  default   = {}
  sensitive = true
}

variable "encryption_key_secret" {
  description = "Encryption at rest (docs/security.md): name of an existing Secret holding the key-encryption key file (base64 keys of 32 bytes, one per line, the current one first) under encryption_key_secret_key. Null = off."
  type        = string
  default     = null
}

variable "encryption_key_secret_key" {
  description = "Key of the key-encryption key file inside encryption_key_secret."
  type        = string
  default     = "kek"
}

variable "service_monitor" {
  description = "Create the Prometheus Operator's ServiceMonitor and PrometheusRule."
  type        = bool
  default     = false
}

variable "runbook_base_url" {
  description = "Where docs/operations.md is served; the alert rules' runbook_url values point at its sections."
  type        = string
  default     = "docs/operations.md"
}

variable "extra_values" {
  description = "More chart values (YAML), merged after the ones this module sets."
  type        = list(string)
  default     = []
}
