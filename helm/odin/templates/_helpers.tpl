{{/* The roles this chart runs, each as its own Deployment. */}}
{{- define "odin.roles" -}}
frontend history matching worker
{{- end -}}

{{- define "odin.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "odin.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "odin.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "odin.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: odin
{{- end -}}

{{- define "odin.selectorLabels" -}}
app.kubernetes.io/name: {{ include "odin.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of one role; call with (dict "root" $ "role" "history"). */}}
{{- define "odin.roleLabels" -}}
{{ include "odin.labels" .root }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "odin.roleSelectorLabels" -}}
{{ include "odin.selectorLabels" .root }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "odin.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "odin.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "odin.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "odin.databaseSecretName" -}}
{{- default (printf "%s-database" (include "odin.fullname" .)) .Values.database.existingSecret -}}
{{- end -}}

{{- define "odin.frontendTlsSecretName" -}}
{{- default (printf "%s-frontend-tls" (include "odin.fullname" .)) .Values.tls.frontend.existingSecret -}}
{{- end -}}

{{- define "odin.internalTlsSecretName" -}}
{{- default (printf "%s-internal-tls" (include "odin.fullname" .)) .Values.tls.internal.existingSecret -}}
{{- end -}}

{{/* The name every internal certificate must be valid for (checked by peers on both sides of a connection). */}}
{{- define "odin.internalTlsServerName" -}}
{{- default (printf "%s-internal" (include "odin.fullname" .)) .Values.tls.internal.serverName -}}
{{- end -}}

{{/* Whether a role's gRPC port speaks TLS: kubelet's gRPC probes cannot, so such a role is probed over HTTP. */}}
{{- define "odin.roleGrpcTls" -}}
{{- if and (eq .role "frontend") .root.Values.tls.frontend.enabled -}}true
{{- else if and (has .role (list "history" "matching")) .root.Values.tls.internal.enabled -}}true
{{- end -}}
{{- end -}}

{{/* Environment every Odin container gets: database, shared settings, identity, TLS material. */}}
{{- define "odin.env" -}}
- name: HUGO_ORCHESTRATOR_DB_CONNECTION
  valueFrom:
    secretKeyRef:
      name: {{ include "odin.databaseSecretName" . }}
      key: {{ .Values.database.existingSecretKey }}
- name: HUGO_ORCHESTRATOR_DB_POOL_SIZE
  value: {{ .Values.database.poolSize | quote }}
- name: HUGO_ORCHESTRATOR_SHARD_COUNT
  value: {{ .Values.config.shardCount | quote }}
- name: HUGO_ORCHESTRATOR_LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: HUGO_ORCHESTRATOR_HISTORY_RETENTION_DAYS
  value: {{ .Values.config.historyRetentionDays | quote }}
- name: HUGO_ORCHESTRATOR_MEMBERSHIP_HEARTBEAT_INTERVAL_MS
  value: {{ .Values.config.membershipHeartbeatIntervalMs | quote }}
- name: HUGO_ORCHESTRATOR_MEMBERSHIP_TTL_MS
  value: {{ .Values.config.membershipTtlMs | quote }}
- name: HUGO_ORCHESTRATOR_EAGER_ACTIVITY_EXECUTION
  value: {{ .Values.config.eagerActivityExecution | quote }}
- name: HUGO_ORCHESTRATOR_EAGER_WORKFLOW_START
  value: {{ .Values.config.eagerWorkflowStart | quote }}
{{- with .Values.config.otlpEndpoint }}
- name: HUGO_ORCHESTRATOR_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: HUGO_ORCHESTRATOR_BIND_IP
  value: "0.0.0.0"
- name: HUGO_ORCHESTRATOR_FRONTEND_PORT
  value: {{ .Values.ports.frontend | quote }}
- name: HUGO_ORCHESTRATOR_HISTORY_PORT
  value: {{ .Values.ports.history | quote }}
- name: HUGO_ORCHESTRATOR_MATCHING_PORT
  value: {{ .Values.ports.matching | quote }}
- name: HUGO_ORCHESTRATOR_METRICS_PORT
  value: {{ .Values.ports.metrics | quote }}
{{- if .Values.httpApi.enabled }}
- name: HUGO_ORCHESTRATOR_HTTP_PORT
  value: {{ .Values.httpApi.port | quote }}
{{- end }}
{{- if .Values.ui.enabled }}
- name: HUGO_ORCHESTRATOR_UI_PORT
  value: {{ .Values.ui.port | quote }}
{{- end }}
# Peers reach this pod at its own IP; the pod name is unique and stable for its life, so it names the host in
# shard leases, membership rows and logs.
- name: HUGO_ORCHESTRATOR_BROADCAST_ADDRESS
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
- name: HUGO_ORCHESTRATOR_HOST_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- if .Values.tls.frontend.enabled }}
- name: HUGO_ORCHESTRATOR_TLS_CERT
  value: /etc/odin/tls/frontend/tls.crt
- name: HUGO_ORCHESTRATOR_TLS_KEY
  value: /etc/odin/tls/frontend/tls.key
{{- if .Values.tls.frontend.requireClientCert }}
- name: HUGO_ORCHESTRATOR_TLS_CLIENT_CA
  value: /etc/odin/tls/frontend/ca.crt
{{- end }}
{{- end }}
{{- if .Values.tls.internal.enabled }}
- name: HUGO_ORCHESTRATOR_INTERNAL_TLS_CERT
  value: /etc/odin/tls/internal/tls.crt
- name: HUGO_ORCHESTRATOR_INTERNAL_TLS_KEY
  value: /etc/odin/tls/internal/tls.key
- name: HUGO_ORCHESTRATOR_INTERNAL_TLS_CA
  value: /etc/odin/tls/internal/ca.crt
- name: HUGO_ORCHESTRATOR_INTERNAL_TLS_SERVER_NAME
  value: {{ include "odin.internalTlsServerName" . | quote }}
{{- end }}
{{- if .Values.encryption.existingSecret }}
- name: HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE
  value: {{ printf "/etc/odin/encryption/%s" .Values.encryption.secretKey | quote }}
- name: HUGO_ORCHESTRATOR_ENCRYPTION_KEY_REFRESH_INTERVAL
  value: {{ .Values.encryption.refreshInterval | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "odin.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.tls.frontend.enabled }}
- name: frontend-tls
  mountPath: /etc/odin/tls/frontend
  readOnly: true
{{- end }}
{{- if .Values.tls.internal.enabled }}
- name: internal-tls
  mountPath: /etc/odin/tls/internal
  readOnly: true
{{- end }}
{{- if .Values.encryption.existingSecret }}
- name: encryption-key
  mountPath: /etc/odin/encryption
  readOnly: true
{{- end }}
{{- end -}}

{{- define "odin.volumes" -}}
- name: tmp
  emptyDir: {}
{{- if .Values.tls.frontend.enabled }}
- name: frontend-tls
  secret:
    secretName: {{ include "odin.frontendTlsSecretName" . }}
{{- end }}
{{- if .Values.tls.internal.enabled }}
- name: internal-tls
  secret:
    secretName: {{ include "odin.internalTlsSecretName" . }}
{{- end }}
{{- if .Values.encryption.existingSecret }}
- name: encryption-key
  secret:
    secretName: {{ .Values.encryption.existingSecret }}
    # 0400 (owner read), written in decimal so that every YAML reader agrees.
    defaultMode: 256
    items:
      - key: {{ .Values.encryption.secretKey }}
        path: {{ .Values.encryption.secretKey }}
{{- end }}
{{- end -}}
