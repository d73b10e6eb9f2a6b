# Encryption at rest for everything that holds personal data
resource "aws_kms_key" "data" {
  description         = "${local.name}: RDS, ElastiCache, secrets and logs"
  enable_key_rotation = true
}

resource "aws_kms_alias" "data" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.data.key_id
}

# --- PostgreSQL ---------------------------------------------------------------

resource "aws_db_subnet_group" "main" {
  name       = local.name
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_parameter_group" "main" {
  name   = local.name
  family = "postgres15"
  # TLS on every connection
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  # an error's DETAIL (a conflicting key: an e-mail) stays out of the log
  parameter {
    name  = "log_error_verbosity"
    value = "terse"
  }
}

resource "aws_db_instance" "main" {
  identifier                  = local.name
  engine                      = "postgres"
  engine_version              = "15"
  instance_class              = var.db_instance_class
  allocated_storage           = var.db_allocated_storage
  max_allocated_storage       = var.db_allocated_storage * 5
  db_name                     = "north"
  username                    = "north"
  manage_master_user_password = true
  db_subnet_group_name        = aws_db_subnet_group.main.name
  vpc_security_group_ids      = [aws_security_group.data.id]
  parameter_group_name        = aws_db_parameter_group.main.name
  storage_encrypted           = true
  kms_key_id                  = aws_kms_key.data.arn
  multi_az                    = true
  backup_retention_period     = var.db_backup_retention_days
  deletion_protection         = true
  skip_final_snapshot         = false
  final_snapshot_identifier   = "${local.name}-final"
  copy_tags_to_snapshot       = true
  publicly_accessible         = false
  auto_minor_version_upgrade  = true
}

# --- Redis ----------------------------------------------------------------------

resource "aws_elasticache_subnet_group" "main" {
  name       = local.name
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_elasticache_replication_group" "main" {
  replication_group_id       = local.name
  description                = "North: sessions, limits, caches"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.redis_node_type
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.main.name
  security_group_ids         = [aws_security_group.data.id]
  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.data.arn
  transit_encryption_enabled = true
  # AUTH: the token is set by the operator (docs/operations.md), so that it
  # is not kept in Terraform's state
  lifecycle {
    ignore_changes = [auth_token]
  }
}

# --- secrets: made empty here, their values put by the operator -----------------

locals {
  secrets = concat([
    "DATABASE_URL", "REDIS_URL", "JWT_SECRET", "DATA_ENCRYPTION_KEY",
    "AUDIT_CHAIN_KEY", "PLAID_CLIENT_ID", "PLAID_SECRET", "MAIL_URL",
    "MAIL_API_KEY", "FCM_SERVICE_ACCOUNT",
  ], var.sentry ? ["SENTRY_DSN"] : [])
}

resource "aws_secretsmanager_secret" "north" {
  for_each   = toset(local.secrets)
  name       = "${local.name}/${each.key}"
  kms_key_id = aws_kms_key.data.arn
}
