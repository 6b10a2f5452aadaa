{{/*
The data stores for staging and review environments: PostgreSQL, Redis, RabbitMQ and S3 (SeaweedFS),
each switched off in production (managed services instead; see values.yaml). Each is one
StatefulSet with a volume (<store>-statefulset.yaml) and one Service (<store>-service.yaml), from
the official pinned images. werf.io/weight -20: after the Secrets (-30); the migration Job, the app
and the workers wait until the stores they use are ready (templates/_deploy-order.tpl).
*/}}

{{/* The port of each store, number and name: one place for its Service, StatefulSet and NetworkPolicy. */}}
{{- define "chat.storePort" -}}
{{- $ports := dict
  "postgresql" (dict "number" 5432 "name" "postgresql")
  "redis" (dict "number" 6379 "name" "redis")
  "rabbitmq" (dict "number" 5672 "name" "amqp")
  "s3" (dict "number" 8333 "name" "s3") -}}
{{- index $ports . | toJson -}}
{{- end -}}

{{/* A store's Service. Arguments: dict root, name (the store's values key). */}}
{{- define "chat.storeService" -}}
{{- $root := .root -}}
{{- $settings := index $root.Values .name -}}
{{- $port := include "chat.storePort" .name | fromJson -}}
{{- if include "chat.enabled" (list $root $settings.enabled) }}
apiVersion: v1
kind: Service
metadata:
  name: chat-{{ .name }}
  labels: {{- include "chat.labels" (list $root .name) | nindent 4 }}
  annotations:
    werf.io/weight: "-20"
spec:
  type: ClusterIP
  selector: {{- include "chat.selector" (list $root .name) | nindent 4 }}
  ports:
    - name: {{ $port.name }}
      port: {{ $port.number }}
      targetPort: {{ $port.name }}
{{- end }}
{{- end -}}

{{/*
A store's StatefulSet: the frame (volume, security, port) is shared, each store brings its container.
Arguments: dict root, name, dataPath (the volume's mount), readOnlyRoot, container (YAML: the
container's own fields), mounts and volumes (YAML list entries, optional).
*/}}
{{- define "chat.storeStatefulSet" -}}
{{- $root := .root -}}
{{- $settings := index $root.Values .name -}}
{{- $port := include "chat.storePort" .name | fromJson -}}
{{- if include "chat.enabled" (list $root $settings.enabled) }}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: chat-{{ .name }}
  labels: {{- include "chat.labels" (list $root .name) | nindent 4 }}
  annotations:
    werf.io/weight: "-20"
spec:
  serviceName: chat-{{ .name }}
  replicas: 1
  selector:
    matchLabels: {{- include "chat.selector" (list $root .name) | nindent 6 }}
  template:
    metadata:
      labels: {{- include "chat.labels" (list $root .name) | nindent 8 }}
    spec:
      {{- include "chat.podIdentity" $root | nindent 6 }}
      terminationGracePeriodSeconds: 60
      securityContext:
        {{- include "chat.podSecurity" $root | nindent 8 }}
        runAsUser: {{ $root.Values.uids.backing }}
        runAsGroup: {{ $root.Values.uids.backing }}
        # The volume becomes writable for the daemon's group; chown only when it is not already.
        fsGroup: {{ $root.Values.uids.backing }}
        fsGroupChangePolicy: OnRootMismatch
      containers:
        - name: {{ .name }}
          image: {{ $settings.image }}
          {{- .container | trim | nindent 10 }}
          ports:
            - name: {{ $port.name }}
              containerPort: {{ $port.number }}
          resources: {{- include "chat.yaml" (list $root $settings.resources) | nindent 12 }}
          securityContext: {{- include "chat.containerSecurity" .readOnlyRoot | nindent 12 }}
          volumeMounts:
            - {name: data, mountPath: {{ .dataPath }}}
            {{- with .mounts }}{{ . | nindent 12 }}{{ end }}
      {{- with .volumes }}
      volumes: {{- . | nindent 8 }}
      {{- end }}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        {{- with include "chat.value" (list $root $root.Values.storageClass) }}
        storageClassName: {{ . }}
        {{- end }}
        resources:
          requests:
            storage: {{ include "chat.value" (list $root $settings.storage) }}
{{- end }}
{{- end -}}
