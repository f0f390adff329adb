"""tui/transport"""
