"""A whitespace tokenizer that makes diacritics and teencode irrelevant to the NLU features.

Each token is normalised the way the answer engine normalises questions (`bot.text`): abbreviations and
teencode are spelled out ("ko" -> "không", "dvc" -> "dịch vụ công", one token per word, all with the original
token's span) and every token is folded (lower case, no diacritics, "đ" -> "d"). "đăng ký", "dang ky" and
"dk" therefore produce the same features. Offsets stay valid because NFC text folds character for character.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.text import expand_abbreviations, fold, nfc


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseFoldingTokenizer(WhitespaceTokenizer):
    """Whitespace tokens, abbreviations expanded, diacritics folded."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "expand_abbreviations": True}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseFoldingTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute)
        if isinstance(text, str):
            message.set(attribute, nfc(text))
        tokens = super().tokenize(message, attribute)
        out: list[Token] = []
        for token in tokens:
            words = [token.text]
            if self._config.get("expand_abbreviations", True):
                words = expand_abbreviations(token.text).split()
            for word in words or [token.text]:
                out.append(Token(fold(word), token.start, token.end, data=token.data, lemma=fold(word)))
        return out
