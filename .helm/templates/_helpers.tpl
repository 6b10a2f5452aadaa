{{/*
The werf environment (--env; `werf ci-env gitlab` sets it from the GitLab environment slug), from
the values werf 2 injects: .Values.global.werf.env ("" outside werf).
*/}}
{{- define "chat.env" -}}
{{- dig "werf" "env" "" (.Values.global | default dict) -}}
{{- end -}}

{{/*
Per-environment values: every such setting is a map {_default: x, production: y, staging: z}.
hasKey instead of `pluck | first | default`, so that false, 0 and "" set for an environment win
over a non-empty _default (production's `enabled: false` must not fall back to true).
Plain (non-map) values pass through unchanged.
*/}}
{{- define "chat.pick" -}}
{{- $root := index . 0 -}}
{{- $setting := index . 1 -}}
{{- $env := include "chat.env" $root | default "_default" -}}
{{- if kindIs "map" $setting -}}
{{- if hasKey $setting $env -}}{{- index $setting $env | toJson -}}{{- else -}}{{- $setting._default | toJson -}}{{- end -}}
{{- else -}}
{{- $setting | toJson -}}
{{- end -}}
{{- end -}}

{{/* A scalar setting for this environment, as text: {{ include "chat.value" (list $ .Values.app.logLevel) }} */}}
{{- define "chat.value" -}}
{{- include "chat.pick" . | printf "[%s]" | fromJsonArray | first -}}
{{- end -}}

{{/* A map setting for this environment, as YAML (resources, annotations): use with nindent. */}}
{{- define "chat.yaml" -}}
{{- include "chat.pick" . | printf "[%s]" | fromJsonArray | first | toYaml -}}
{{- end -}}

{{/* "true" or "" for a boolean setting, so that `if include "chat.enabled" …` reads naturally. */}}
{{- define "chat.enabled" -}}
{{- if include "chat.pick" . | printf "[%s]" | fromJsonArray | first -}}true{{- end -}}
{{- end -}}

{{/*
The image werf built, by its werf.yaml name: .Values.global.werf.images.<name>.ref_tag, the full
reference with its tag, as werf 2 injects it (werf 2.65 and later; the older .Values.werf.image.<name>
is kept by werf for backward compatibility only). Fails the render when werf did not pass it.
*/}}
{{- define "chat.image" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $image := dig "werf" "images" $name "ref_tag" "" ($root.Values.global | default dict) -}}
{{- required (printf "global.werf.images.%s.ref_tag is not set: deploy with werf, or pass --set global.werf.images.%s.ref_tag=<image>" $name $name) $image -}}
{{- end -}}

{{- define "chat.labels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: chat
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
app.kubernetes.io/part-of: chat
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
{{- end -}}

{{/* Selector labels: stable for the life of a Deployment (selectors are immutable). */}}
{{- define "chat.selector" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: chat
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/*
The public URL of this environment: global.env_url from the pipeline (GitLab's environment URL)
wins, so that the link GitLab shows and the Ingress can never disagree; app.host is the fallback
for deploys outside CI. Returns a parsed URL dict (scheme, host).
*/}}
{{- define "chat.url" -}}
{{- $root := . -}}
{{- $envUrl := (($root.Values.global | default dict).env_url | default "") -}}
{{- if $envUrl -}}
{{- $url := urlParse $envUrl -}}
{{- dict "scheme" $url.scheme "host" (splitList ":" $url.host | first) | toJson -}}
{{- else -}}
{{- $host := include "chat.value" (list $root $root.Values.app.host) -}}
{{- $scheme := ternary "https" "http" (eq (include "chat.enabled" (list $root $root.Values.app.tls)) "true") -}}
{{- dict "scheme" $scheme "host" (required "set global.env_url (the pipeline does) or app.host for this environment" $host) | toJson -}}
{{- end -}}
{{- end -}}

{{/*
A credential: from secret values for this environment if set; otherwise the value already in the
cluster's Secret (so that generated passwords survive upgrades: the database on its volume was
initialised with the first one); otherwise, when generate is true, a new random one.
Arguments: dict root, setting (the secrets.* entry), secret (Secret name), key, generate.
*/}}
{{- define "chat.credential" -}}
{{- $given := include "chat.value" (list .root .setting) -}}
{{- if $given -}}
{{- $given -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- $stored := ((($existing | default dict).data | default dict) | dig .key "" ) -}}
{{- if $stored -}}
{{- $stored | b64dec -}}
{{- else if .generate -}}
{{- randAlphaNum 40 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Who every pod runs as and pulls with: the ServiceAccount chat, without a token (no pod talks to the
Kubernetes API), and the registry Secret (registry-secret.yaml) unless imagePullSecret.enabled is off.
*/}}
{{- define "chat.podIdentity" -}}
serviceAccountName: chat
automountServiceAccountToken: false
{{- if include "chat.enabled" (list . .Values.imagePullSecret.enabled) }}
imagePullSecrets:
  - name: chat-registry
{{- end }}
{{- end -}}

{{/* Pod securityContext shared by every pod of the chart. */}}
{{- define "chat.podSecurity" -}}
runAsNonRoot: true
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container securityContext: no privileges at all; the root filesystem read-only unless told otherwise. */}}
{{- define "chat.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ . }}
capabilities:
  drop: [ALL]
{{- end -}}

{{/* The env of the app's Node container that is not secret (ConfigMap chat-app) plus its Secret. */}}
{{- define "chat.appEnvFrom" -}}
- configMapRef:
    name: chat-app
- secretRef:
    name: chat-app
{{- end -}}

{{/*
initContainer that waits until PostgreSQL accepts connections: the migration Job and the app start
in the same deploy as a fresh in-cluster database. Uses the node image's own Node.js and pg client
(no extra image), with DATABASE_URL from the Secret.
*/}}
{{- define "chat.waitForPostgres" -}}
- name: wait-for-postgres
  image: {{ include "chat.image" (list . "node") }}
  command:
    - node
    - -e
    - |
      const { Client } = require('pg');
      const deadline = Date.now() + 300000;
      (async function attempt() {
        const client = new Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 3000 });
        try {
          await client.connect();
          await client.end();
          console.log(JSON.stringify({ level: 'info', msg: 'postgresql is up' }));
        } catch (error) {
          if (Date.now() > deadline) { console.error(JSON.stringify({ level: 'error', msg: 'postgresql did not come up', code: error.code })); process.exit(1); }
          console.log(JSON.stringify({ level: 'info', msg: 'waiting for postgresql', code: error.code }));
          setTimeout(attempt, 2000);
        }
      })();
  envFrom:
    - secretRef:
        name: chat-app
  resources: {{- include "chat.yaml" (list . .Values.jobs.resources) | nindent 4 }}
  securityContext:
    runAsUser: {{ .Values.uids.node }}
    {{- include "chat.containerSecurity" true | nindent 4 }}
{{- end -}}

{{/*
Pod annotations that roll the pods when the chart's settings or credentials change: sha256 of the
rendered ConfigMap files, and of the Secret files. Stable across deploys: generated credentials are
computed once per render (templates/_credentials.tpl) and read back with lookup afterwards.
*/}}
{{- define "chat.checksum" -}}
{{- $root := index . 0 -}}
{{- $manifests := list -}}
{{- range $file := rest . -}}
{{- $manifests = append $manifests (include (print $root.Template.BasePath "/" $file) $root) -}}
{{- end -}}
{{- join "\n---\n" $manifests | sha256sum -}}
{{- end -}}
{{- define "chat.configChecksum" -}}
{{- include "chat.checksum" (list . "app-configmap.yaml" "workers-configmap.yaml" "mailer-configmap.yaml") -}}
{{- end -}}
{{- define "chat.secretsChecksum" -}}
{{- include "chat.checksum" (list . "backing-secret.yaml" "app-secret.yaml" "workers-secret.yaml" "mailer-secret.yaml") -}}
{{- end -}}
