"""Colibri's production configuration on one machine (``make run-prod``).

Two Rasa servers and two action servers behind nginx, on the machine's
PostgreSQL (conversations, shop, desk), Redis (lock store, socket.io rooms) and
RabbitMQ (event broker). ``deployment`` starts and watches the processes,
``nginx`` writes the load balancer's configuration, ``environment`` gathers
the variables every process reads, ``models`` finds the trained model to serve,
``throwaway`` removes what a run of the benchmark or the tests made (docs/deploy.md).
"""
