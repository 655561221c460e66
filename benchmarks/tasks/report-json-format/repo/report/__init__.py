"""Expense reports from CSV exports."""
