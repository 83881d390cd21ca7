"""APsystems EMA (OpenAPI) integration for Home Assistant.

The Home Assistant glue (config flow, coordinator, entity platforms) lands on top of the
pure parts: ``openapi`` (the signed API client) and ``planner`` (the call budget planner).
"""
