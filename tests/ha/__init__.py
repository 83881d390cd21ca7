"""Tests of the Home Assistant integration, against the OpenAPI simulator."""
