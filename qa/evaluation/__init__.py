"""Evaluation: the metrics of retrieval and answers (``metrics``) and the runs over an evaluation set
(``runs``). May import every stage below it; nothing imports it but the command line."""
