"""EDXL: reports as EDXL-SitRep 1.0 messages inside EDXL-DE 2.0 envelopes, out and in."""
