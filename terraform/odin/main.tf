locals {
  chart = coalesce(var.chart_path, "${path.module}/../../helm/odin")

  frontend_tls = var.tls.frontend
  internal_tls = var.tls.internal
  # A Secret is created here when PEM material is given.
  frontend_tls_from_pem = local.frontend_tls.enabled && local.frontend_tls.cert_pem != null
  internal_tls_from_pem = local.internal_tls.enabled && local.internal_tls.cert_pem != null

  database_secret = var.database_existing_secret != null ? var.database_existing_secret : "${var.release_name}-database"

  # Chart values; every key here exists in helm/odin/values.schema.json (test/deploy checks it).
  values = {
    image = {
      repository = var.image_repository
      tag        = var.image_tag
    }
    database = {
      existingSecret    = local.database_secret
      existingSecretKey = var.database_secret_key
      poolSize          = var.database_pool_size
    }
    config = {
      shardCount = var.shard_count
      logLevel   = var.log_level
    }
    frontend = {
      replicaCount = var.replicas.frontend
      autoscaling = {
        enabled                        = var.autoscaling.enabled
        minReplicas                    = var.replicas.frontend
        maxReplicas                    = var.autoscaling.frontend_max_replicas
        targetCPUUtilizationPercentage = var.autoscaling.target_cpu_percent
      }
    }
    history = {
      replicaCount = var.replicas.history
    }
    matching = {
      replicaCount = var.replicas.matching
      autoscaling = {
        enabled                        = var.autoscaling.enabled
        minReplicas                    = var.replicas.matching
        maxReplicas                    = var.autoscaling.matching_max_replicas
        targetCPUUtilizationPercentage = var.autoscaling.target_cpu_percent
      }
    }
    worker = {
      replicaCount = var.replicas.worker
    }
    tls = {
      frontend = {
        enabled           = local.frontend_tls.enabled
        requireClientCert = local.frontend_tls.require_client_cert != false
        existingSecret    = local.frontend_tls_from_pem ? kubernetes_secret_v1.frontend_tls[0].metadata[0].name : (local.frontend_tls.existing_secret == null ? "" : local.frontend_tls.existing_secret)
        certManager = {
          enabled   = local.frontend_tls.cert_manager_issuer != null
          issuerRef = { name = (local.frontend_tls.cert_manager_issuer == null ? "" : local.frontend_tls.cert_manager_issuer), kind = "ClusterIssuer" }
          dnsNames  = (local.frontend_tls.dns_names == null ? [] : local.frontend_tls.dns_names)
        }
      }
      internal = {
        enabled        = local.internal_tls.enabled
        existingSecret = local.internal_tls_from_pem ? kubernetes_secret_v1.internal_tls[0].metadata[0].name : (local.internal_tls.existing_secret == null ? "" : local.internal_tls.existing_secret)
        serverName     = local.internal_tls.server_name == null ? "" : local.internal_tls.server_name
        certManager = {
          enabled   = local.internal_tls.cert_manager_issuer != null
          issuerRef = { name = (local.internal_tls.cert_manager_issuer == null ? "" : local.internal_tls.cert_manager_issuer), kind = "ClusterIssuer" }
        }
      }
    }
    encryption = {
      existingSecret = var.encryption_key_secret == null ? "" : var.encryption_key_secret
      secretKey      = var.encryption_key_secret_key
    }
    metrics = {
      serviceMonitor = { enabled = var.service_monitor }
      prometheusRule = { enabled = var.service_monitor, runbookBaseUrl = var.runbook_base_url }
    }
  }
}

resource "kubernetes_namespace_v1" "odin" {
  count = var.create_namespace ? 1 : 0
  metadata {
    name = var.namespace
    labels = {
      "app.kubernetes.io/part-of" = "odin"
    }
  }
}

# The database URL, kept out of the chart's values (and so out of the Helm release history).
resource "kubernetes_secret_v1" "database" {
  count = var.database_existing_secret == null ? 1 : 0
  metadata {
    name      = "${var.release_name}-database"
    namespace = var.namespace
  }
  data = {
    (var.database_secret_key) = var.database_url
  }
  depends_on = [kubernetes_namespace_v1.odin]

  lifecycle {
    precondition {
      condition     = var.database_url != null
      error_message = "Set database_url, or database_existing_secret to the name of a Secret that holds it."
    }
  }
}

resource "kubernetes_secret_v1" "frontend_tls" {
  count = local.frontend_tls_from_pem ? 1 : 0
  metadata {
    name      = "${var.release_name}-frontend-tls"
    namespace = var.namespace
  }
  type = "kubernetes.io/tls"
  data = {
    "tls.crt" = local.frontend_tls.cert_pem
    "tls.key" = var.tls_private_keys.frontend
    "ca.crt"  = (local.frontend_tls.ca_pem == null ? "" : local.frontend_tls.ca_pem)
  }
  depends_on = [kubernetes_namespace_v1.odin]
}

resource "kubernetes_secret_v1" "internal_tls" {
  count = local.internal_tls_from_pem ? 1 : 0
  metadata {
    name      = "${var.release_name}-internal-tls"
    namespace = var.namespace
  }
  type = "kubernetes.io/tls"
  data = {
    "tls.crt" = local.internal_tls.cert_pem
    "tls.key" = var.tls_private_keys.internal
    "ca.crt"  = (local.internal_tls.ca_pem == null ? "" : local.internal_tls.ca_pem)
  }
  depends_on = [kubernetes_namespace_v1.odin]
}

resource "helm_release" "odin" {
  name       = var.release_name
  namespace  = var.namespace
  chart      = local.chart
  repository = var.chart_repository
  version    = var.chart_version

  # The migration Job runs as a pre-install/pre-upgrade hook; wait for the roles to become ready after it.
  wait          = true
  wait_for_jobs = true
  timeout       = 900
  atomic        = false

  values = concat([yamlencode(local.values)], var.extra_values)

  depends_on = [
    kubernetes_namespace_v1.odin,
    kubernetes_secret_v1.database,
    kubernetes_secret_v1.frontend_tls,
    kubernetes_secret_v1.internal_tls,
  ]
}
