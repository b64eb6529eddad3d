"""Agency deployment (optional extra): S3 Object Lock replicas, a PostgreSQL index and queue."""
