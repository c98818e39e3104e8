"""Lägesbild: structured, live situation reporting for crisis management."""
