output "namespace" {
  description = "Namespace of the release."
  value       = var.namespace
}

output "frontend_address" {
  description = "In-cluster address of the Temporal gRPC API (what SDKs and workers connect to)."
  value       = "${var.release_name}-frontend.${var.namespace}.svc:7233"
}

output "release" {
  description = "Name, chart version and status of the Helm release."
  value = {
    name    = helm_release.odin.name
    version = helm_release.odin.version
    status  = helm_release.odin.status
  }
}
