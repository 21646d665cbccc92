"""Streamlit pages and widgets: read input, call a service, show the result."""
