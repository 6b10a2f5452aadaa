{{/*
A Python worker (image `python`) as a Deployment: greeter-deployment.yaml and mailer-deployment.yaml
render one each, the mailer with its own envFrom entries. Both are RabbitMQ consumers without an
HTTP port, so liveness is a heartbeat file: the worker touches WORKER_HEALTH_FILE every few seconds
while its consume loop runs connected, and the probe fails when the file is older than
heartbeatMaxAgeSeconds. Readiness has no meaning for a consumer that receives no traffic, so there
is none. Several replicas are safe: RabbitMQ hands each message to one consumer, and both workers
are idempotent by event id.
Arguments: dict root, name (greeter or mailer), envFrom (YAML list entries, optional), and the
ConfigMaps and Secrets those entries name (configMaps, secrets: optional lists, for the deploy order).
*/}}
{{- define "chat.worker" -}}
{{- $root := .root -}}
{{- $worker := index $root.Values.workers .name -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-{{ .name }}
  labels: {{- include "chat.labels" (list $root .name) | nindent 4 }}
  annotations:
    {{- include "chat.deployDependencies" (dict "root" $root "migration" true "configMaps" (concat (list "chat-workers") (.configMaps | default list)) "secrets" (concat (list "chat-workers") (.secrets | default list)) "stores" (list "postgresql" "rabbitmq")) | nindent 4 }}
spec:
  replicas: {{ include "chat.value" (list $root $worker.replicas) }}
  revisionHistoryLimit: 3
  selector:
    matchLabels: {{- include "chat.selector" (list $root .name) | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        {{- include "chat.labels" (list $root .name) | nindent 8 }}
        chat/data-client: "true"
      annotations:
        checksum/config: {{ include "chat.configChecksum" $root }}
        checksum/secrets: {{ include "chat.secretsChecksum" $root }}
    spec:
      {{- include "chat.podIdentity" $root | nindent 6 }}
      # SIGTERM: the worker stops consuming, finishes (acks) the message in hand and exits.
      terminationGracePeriodSeconds: 30
      securityContext: {{- include "chat.podSecurity" $root | nindent 8 }}
      containers:
        - name: {{ .name }}
          image: {{ include "chat.image" (list $root "python") }}
          command: [python3, -m, chat_workers.{{ .name }}]
          envFrom:
            - configMapRef:
                name: chat-workers
            - secretRef:
                name: chat-workers
            {{- with .envFrom }}
            {{- . | trim | nindent 12 }}
            {{- end }}
          startupProbe:
            exec:
              # The workers' own check (python/chat_workers/healthcheck.py): exit 1 when the file is stale.
              command: [python3, -m, chat_workers.healthcheck, "{{ $root.Values.workers.heartbeatMaxAgeSeconds }}"]
            periodSeconds: 5
            failureThreshold: 24
          livenessProbe:
            exec:
              # The workers' own check (python/chat_workers/healthcheck.py): exit 1 when the file is stale.
              command: [python3, -m, chat_workers.healthcheck, "{{ $root.Values.workers.heartbeatMaxAgeSeconds }}"]
            periodSeconds: 30
            timeoutSeconds: 10
            failureThreshold: 2
          resources: {{- include "chat.yaml" (list $root $worker.resources) | nindent 12 }}
          securityContext:
            runAsUser: {{ $root.Values.uids.python }}
            {{- include "chat.containerSecurity" true | nindent 12 }}
          volumeMounts:
            - {name: tmp, mountPath: /tmp}
      volumes:
        - name: tmp
          emptyDir: {sizeLimit: 16Mi}
{{- end -}}
