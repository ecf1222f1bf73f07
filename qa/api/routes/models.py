"""GET /v1/models: the models an OpenAI client may name in /v1/chat/completions."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends

from qa.api.deps import get_service
from qa.api.openai_errors import ERROR_RESPONSES, OpenAIError, OpenAIRoute
from qa.api.openai_schemas import DEFAULT_MODEL, ModelCard, ModelList
from qa.api.policy import RoutePolicy, declare
from qa.service import Service

router = APIRouter(prefix="/v1", tags=["openai"], route_class=OpenAIRoute)


def _built_at(service: Service) -> int:
    stamp = service.store.manifest.get("built_at")
    try:
        return int(datetime.fromisoformat(stamp).timestamp()) if stamp else 0
    except ValueError:
        return 0


def available_models(service: Service) -> list[ModelCard]:
    """Every model a chat may name: `qa` answers from the default index. (One per collection
    belongs here once collections exist.)"""
    return [ModelCard(id=DEFAULT_MODEL, created=_built_at(service))]


def model_named(service: Service, name: str) -> ModelCard:
    for card in available_models(service):
        if card.id == name:
            return card
    known = ", ".join(card.id for card in available_models(service))
    raise OpenAIError(404, f"the model '{name[:100]}' does not exist; models: {known}", "model_not_found", "model")


@router.get("/models", response_model=ModelList, responses=ERROR_RESPONSES)
@declare(RoutePolicy(scope="ask"))
def list_models(service: Service = Depends(get_service)) -> ModelList:
    """The models of this server, in OpenAI's shape."""
    return ModelList(data=available_models(service))


@router.get("/models/{model}", response_model=ModelCard, responses=ERROR_RESPONSES)
@declare(RoutePolicy(scope="ask"))
def get_model(model: str, service: Service = Depends(get_service)) -> ModelCard:
    """One model, or 404 `model_not_found`."""
    return model_named(service, model)
