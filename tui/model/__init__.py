"""The cluster model: hosts, VMs, health, links, order by timestamp, unsure marks, the journal and verdicts.
Plain Python, no Textual, no I/O."""
