{{/*
All credentials of the release, as a JSON dict, for the Secret files (backing-secret.yaml,
app-secret.yaml, workers-secret.yaml, mailer-secret.yaml): each reads the ones it needs.
A generated password must be one value everywhere: in the store's Secret and in the URL the app
gets. Helm renders every template file of the chart with the same .Values map, so the first file
that asks computes the credentials once and keeps them under .Values._credentials for the others.
Fails the render, saying what to set, when a required one is missing.
*/}}
{{- define "chat.credentials" -}}
{{- if not (hasKey .Values "_credentials") -}}
{{- $postgres := include "chat.enabled" (list $ .Values.postgresql.enabled) -}}
{{- $redis := include "chat.enabled" (list $ .Values.redis.enabled) -}}
{{- $rabbitmq := include "chat.enabled" (list $ .Values.rabbitmq.enabled) -}}
{{- $s3 := include "chat.enabled" (list $ .Values.s3.enabled) -}}
{{- $production := eq (include "chat.env" .) "production" -}}
{{- $s := .Values.secrets -}}

{{- $pgPassword := include "chat.credential" (dict "root" $ "setting" $s.postgresPassword "secret" "chat-backing" "key" "POSTGRES_PASSWORD" "generate" $postgres) -}}
{{- $redisPassword := include "chat.credential" (dict "root" $ "setting" $s.redisPassword "secret" "chat-backing" "key" "REDIS_PASSWORD" "generate" $redis) -}}
{{- $rabbitmqPassword := include "chat.credential" (dict "root" $ "setting" $s.rabbitmqPassword "secret" "chat-backing" "key" "RABBITMQ_DEFAULT_PASS" "generate" $rabbitmq) -}}
{{- $s3AccessKey := include "chat.credential" (dict "root" $ "setting" $s.s3AccessKey "secret" "chat-app" "key" "S3_ACCESS_KEY" "generate" $s3) -}}
{{- $s3SecretKey := include "chat.credential" (dict "root" $ "setting" $s.s3SecretKey "secret" "chat-app" "key" "S3_SECRET_KEY" "generate" $s3) -}}
{{- $cookieSecret := include "chat.credential" (dict "root" $ "setting" $s.cookieSecret "secret" "chat-app" "key" "COOKIE_SECRET" "generate" true) -}}
{{- $defaultUserPassword := include "chat.credential" (dict "root" $ "setting" $s.defaultUserPassword "secret" "chat-app" "key" "DEFAULT_USER_PASSWORD" "generate" (not $production)) -}}
{{- $mailgunApiKey := include "chat.value" (list $ $s.mailgunApiKey) -}}
{{- /* The mailer refuses to start with a key but no domain: say so at deploy time instead of a crash-looping pod. */ -}}
{{- if and $mailgunApiKey (not (include "chat.value" (list $ .Values.workers.mailgunDomain))) -}}
{{- fail "workers.mailgunDomain is required for this environment when secrets.mailgunApiKey is set (the Mailgun sending domain, e.g. mg.example.com)" -}}
{{- end -}}

{{- $databaseUrl := include "chat.value" (list $ $s.databaseUrl) -}}
{{- if $postgres -}}
{{- $databaseUrl = printf "postgres://chat:%s@chat-postgresql:5432/chat" $pgPassword -}}
{{- end -}}
{{- $sessionRedis := include "chat.value" (list $ $s.sessionRedis) -}}
{{- if $redis -}}
{{- $sessionRedis = printf "redis://:%s@chat-redis:6379/0" $redisPassword -}}
{{- end -}}
{{- $amqpUri := include "chat.value" (list $ $s.amqpUri) -}}
{{- if $rabbitmq -}}
{{- $amqpUri = printf "amqp://chat:%s@chat-rabbitmq:5672/" $rabbitmqPassword -}}
{{- end -}}
{{- $_ := required "secrets.databaseUrl is required for this environment when postgresql.enabled is false" $databaseUrl -}}
{{- $_ := required "secrets.sessionRedis is required for this environment when redis.enabled is false" $sessionRedis -}}
{{- $_ := required "secrets.amqpUri is required for this environment when rabbitmq.enabled is false" $amqpUri -}}
{{- $_ := required "secrets.s3AccessKey is required for this environment when s3.enabled is false" $s3AccessKey -}}
{{- $_ := required "secrets.s3SecretKey is required for this environment when s3.enabled is false" $s3SecretKey -}}
{{- if lt (len $cookieSecret) 32 -}}
{{- fail "secrets.cookieSecret must be at least 32 characters" -}}
{{- end -}}
{{- $_ := set .Values "_credentials" (dict
  "postgresPassword" $pgPassword "redisPassword" $redisPassword "rabbitmqPassword" $rabbitmqPassword
  "s3AccessKey" $s3AccessKey "s3SecretKey" $s3SecretKey "cookieSecret" $cookieSecret
  "defaultUserPassword" $defaultUserPassword "mailgunApiKey" $mailgunApiKey
  "databaseUrl" $databaseUrl "sessionRedis" $sessionRedis "amqpUri" $amqpUri) -}}
{{- end -}}
{{- .Values._credentials | toJson -}}
{{- end -}}
