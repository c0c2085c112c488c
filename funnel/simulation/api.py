from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from funnel.simulation.scoring import scoring_version_preview
from leads.scoring.api import ScoringVersionSerializer
from leads.scoring.models import ScoringModelVersion


class ScoringPreviewViewSet(viewsets.GenericViewSet):
    """What a scoring version would change if it were active now: grade moves and definitions newly met or no
    longer met, by segment and source campaign. Read it before signing."""

    serializer_class = ScoringVersionSerializer
    queryset = ScoringModelVersion.objects.all()

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request, pk=None):
        return Response(scoring_version_preview(version=self.get_object()))
