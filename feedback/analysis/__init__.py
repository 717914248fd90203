"""Pure analysis of feedback: plain data in, plain data out; no Flask, no database."""
