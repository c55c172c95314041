"""Tests of the command line, in-process and as real subprocesses."""
