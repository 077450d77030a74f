from django.db import models
from django.utils.translation import gettext_lazy as _


class Replicated(models.Model):
    """A row that may be a replica of one kept on a peer node (coordination.federation).

    ``origin_node`` is empty for what was written here; for a replica it names the node
    where the row was written and ``origin_id`` its id there: the pair identifies the row
    across nodes, so a message applied twice finds the row it wrote the first time.
    """

    # A name, not a peer: a case's lead node relays what a third node wrote, and that node
    # need not be a peer of this one.
    origin_node = models.CharField(
        _("node of origin"), max_length=64, blank=True, default="", editable=False
    )
    origin_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True
        constraints = [
            # A replica is written once per row of its node of origin.
            models.UniqueConstraint(
                fields=["origin_node", "origin_id"],
                condition=~models.Q(origin_node=""),
                name="%(app_label)s_%(class)s_replica_once",
            ),
        ]

    @property
    def is_replica(self):
        return bool(self.origin_node)
