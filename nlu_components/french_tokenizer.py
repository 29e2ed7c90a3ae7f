"""A whitespace tokenizer for French as customers type it.

Rasa's ``WhitespaceTokenizer`` already splits elisions (``j'ai`` -> ``j`` ``ai``,
also with the typographic apostrophe) and keeps e-mails, order numbers such as
``CO-100001`` and tracking numbers whole. What it lacks for French chat text is
accent folding: ``où``/``ou``, ``reçu``/``recu`` and ``livré``/``livre`` are
different words to the count-vector featurizers. This tokenizer keeps each
token's original text (so entity values and casing features are untouched) and
sets its *lemma* to the lower-case, accent-free form, which
``CountVectorsFeaturizer`` uses by default (``use_lemma: true``).
"""

from __future__ import annotations

import unicodedata
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

# Ligatures that NFKD does not decompose.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


def fold(text: str) -> str:
    """Lower-case ``text`` and strip its accents: ``Reçu`` -> ``recu``."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class FrenchTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer whose token lemmas are accent-folded."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FrenchTokenizer:
        """Creates the component (see parent class)."""
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        """Tokenizes like ``WhitespaceTokenizer`` and folds each lemma."""
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = fold(token.text)
        return tokens
