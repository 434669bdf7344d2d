from django.core.paginator import Paginator
from django.shortcuts import render

from collections_app.models import Collection


def collection_list(request):
    collections = Collection.objects.public().select_related("owner").order_by("-updated_at")
    page = Paginator(collections, 30).get_page(request.GET.get("page"))
    return render(request, "collections_app/collection_list.html", {"page_obj": page})
