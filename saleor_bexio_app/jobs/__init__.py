"""Durable jobs in the app's own database: queue, worker, schedules, handlers by kind."""
