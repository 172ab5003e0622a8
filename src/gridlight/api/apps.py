from django.apps import AppConfig
from django.http import HttpRequest, HttpResponse, JsonResponse


def _api_error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return JsonResponse({"detail": message}, status=status)


def _open311_error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    from gridlight.api.open311 import error

    return error("json" if request.path.endswith(".json") else "xml", status, message)


class ApiConfig(AppConfig):
    name = "gridlight.api"
    label = "gridlight_api"

    def ready(self) -> None:
        from gridlight.core.middleware import register_error_format

        # Errors refused at the door (core/middleware) answer in each API's own format.
        register_error_format("/api/", _api_error)
        register_error_format("/open311/", _open311_error)
