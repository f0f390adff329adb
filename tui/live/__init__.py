"""tui/live"""
