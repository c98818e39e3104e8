"""The incident journal (dagbok): entries are `journal.entry` events in the log."""
