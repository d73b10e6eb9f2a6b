output "alb_dns_name" {
  description = "The ALB's name: point the public host name (CNAME or alias) at it."
  value       = aws_lb.main.dns_name
}

output "db_endpoint" {
  description = "RDS endpoint (host:port) for DATABASE_URL and DATABASE_OWNER_URL."
  value       = aws_db_instance.main.endpoint
}

output "db_master_secret_arn" {
  description = "Secrets Manager secret of the owner role's password (RDS-managed)."
  value       = aws_db_instance.main.master_user_secret[0].secret_arn
}

output "redis_endpoint" {
  description = "ElastiCache primary endpoint for REDIS_URL (rediss://, AUTH)."
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "secret_arns" {
  description = "The secrets the task reads, by variable: put their values before the first deployment."
  value       = { for k, s in aws_secretsmanager_secret.north : k => s.arn }
}

output "cluster_name" {
  description = "ECS cluster, for run-task (migrations)."
  value       = aws_ecs_cluster.main.name
}

output "log_group" {
  description = "CloudWatch log group of nginx's error and access logs."
  value       = aws_cloudwatch_log_group.north.name
}
