"""Exports of a whole incident, by format: a registry the export handler looks formats up in."""
