"""The callback service: the Flask factory (app.py), one blueprint per noun, security, limits, the scheduler."""
