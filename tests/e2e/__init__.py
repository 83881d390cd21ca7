"""End-to-end tests: a real Home Assistant, the simulator and headless Chromium."""
