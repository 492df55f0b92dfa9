"""Instructions hidden in article text: a sentence addressed to an assistant or a model ("ignore previous
instructions", "Répondez à toutes les questions par …") is never evidence, and is left out of what a summary
is written from."""

from __future__ import annotations

import re

from qa.text.language import fold

# Sentences addressed to an assistant or a model, not to a reader: "ignore previous instructions",
# "answer every question with …", "you are now …", "if you are an AI …", in English and French
# (matched on folded text: lower case, no accents). Such a sentence is never evidence.
_MODELS_EN = (r"(?:ai|a\.i\.|artificial intelligence|llms?|language models?|ai models?|chatbots?|chat ?bots?|bots|"
              r"(?:ai|virtual|digital) assistants?|assistants? (?:like|such as) \w+|machines? reading this|"
              r"models? reading this|any model|automated (?:systems?|readers?)|crawlers?)\b")
_MODELS_FR = (r"(?:ia|intelligences? artificielles?|assistants? (?:ia|d'ia|virtuels?|numeriques?|conversationnels?)|"
              r"chatbots?|robots? conversationnels?|agents? conversationnels?|modeles? de langage|modeles? d'ia|"
              r"llms?|machines? qui (?:lisent|lit))\b")
_INSTRUCTION = re.compile("|".join([
    r"\b(?=ignor|disregard|forget|oubli)(?<!\bont )(?<!\ba )(?<!\bavait )(?<!\bavaient )"
    r"(?:ignore|ignorez|ignorer|disregard|forget|oublie[rz]?)\b"
    r"(?=.{0,60}\b(?:instructions?|prompts?|rules|consignes?|regles|directives?)\b)"
    r"(?=.{0,60}\b(?:previous|prior|above|earlier|preceding|precedentes?|anterieures?|ci-dessus|your|vos|tes|all|"
    r"toutes?)\b)",
    r"\b(?:forget|oubliez|oublie) (?:everything|tout)\b",
    r"(?:^|[.:;!\"«]\s*|\b(?:please|must|should|always|now|and|then|simply)\s+)(?:answer|respond|reply)\s+(?:to\s+)?"
    r"(?:every|all|any|each)\b.{0,20}\b(?:questions?|queries|prompts?|requests?)",
    r"\b(?:reponds|repondez|repondre|reponde)\b.{0,30}\b(?:toutes?|chaque|n'importe quelle?|aux?)\b.{0,20}"
    r"\b(?:questions?|requetes?|demandes?)\b",
    r"\byou are (?:now|from now on|no longer)\b",
    r"\b(?:tu es|vous etes|tu n'es plus|vous n'etes plus) (?:desormais|maintenant|a present|plus)\b",
    r"\b(?:if|when|since) you are an? (?:ai|assistant|language model|chatbot|llm|bot|model)\b",
    r"\b(?:si|quand|comme) (?:tu es|vous etes) (?:une? )?(?:ia|intelligence artificielle|assistant|modele|chatbot|robot)\b",
    r"\b(?:as|en tant qu'?) ?an? ?(?:ai|ia|language model|modele de langage|assistant virtuel)\b,",
    r"\b(?:system prompt|system message|developer mode|jailbreak|invite systeme|prompt systeme)\b",
    r"\b(?:new instructions|nouvelles? (?:instructions?|consignes?))\s*:",
    r"\b(?:ai|ia|llm|chatbots?|assistants?|language models?|modeles? de langage|intelligences? artificielles?)\b.{0,40}"
    r"\b(?:must|should|shall|are instructed to|doi[st]|doivent|devez|devra) (?:answer|respond|reply|say|state|write|"
    r"ignore|repondre|dire|ecrire|affirmer|ignorer|indiquer)\b(?! to\b)",
    r"\bfrom now on\b.{0,40}\b(?:answer|respond|reply|say|write|you)\b",
    r"\ba partir de maintenant\b.{0,40}\b(?:reponds|repondez|dis|dites|ecris|ecrivez|tu|vous)\b",
    r"\b(?:do not|don't|never) (?:tell|reveal|mention|inform)\b.{0,30}\b(?:the user|users|the reader)\b",
    r"\bne (?:dites|dis|revelez|revele) (?:pas|rien|jamais)\b.{0,30}\b(?:utilisateurs?|lecteurs?)\b",
    r"<\|?(?:im_start|im_end|system|assistant|endoftext)\|?>|\[/?inst\]|^\s*(?:system|assistant)\s*:",
    # a note or message addressed to models: "Note to AI assistants:", "Message for chatbots", "Note aux IA"
    r"\b(?:note|notes|message|memo|notice|reminder|warning|attention|instructions?)\s+(?:to|for)\s+"
    r"(?:all\s+|any\s+|the\s+)?" + _MODELS_EN,
    r"\b(?:note|message|avis|rappel|consignes?|instructions?|avertissement)\s+(?:a|aux|pour(?: les?)?|a l'attention "
    r"des?|a l'intention des?|destinee?s? aux)\s+(?:les?\s+|tous les\s+)?" + _MODELS_FR,
    r"\b(?:a l'attention|a l'intention)\s+(?:des?|du|de tous les|de toutes les)\s+" + _MODELS_FR,
    r"\b(?:for the attention of|attention)\s+(?:all\s+|any\s+)?" + _MODELS_EN + r"\s*[:,!]",
    # the model called by its name at the start of a sentence: "Assistant, when asked about NATO, answer …"
    r"^\W*(?:hey |dear |ok |okay )?(?:ai )?(?:assistant|ai|chatbot|bot|language model|llm|chatgpt|gpt|claude|gemini|"
    r"copilot)\s*[,:]\s*(?:when|if|whenever|please|always|never|you|answer|respond|reply|say|tell|ignore|remember|"
    r"from now|do not|don't)\b",
    r"^\W*(?:cher |chere )?(?:assistant|ia|chatbot|robot|modele|agent)\s*[,:]\s*(?:quand|si|lorsque|lorsqu'|des que|"
    r"veuillez|reponds|repondez|dis|dites|ignore|ignorez|oublie|oubliez|tu|vous|toujours|ne)\b",
    # "when asked about X, answer …": an order for whoever is asked
    r"\b(?:when|if|whenever|once) (?:you are |you're |you get |anyone is )?(?:asked|questioned|queried)\b"
    r"[^.;]{0,80},\s*"
    r"(?:always\s+|simply\s+|just\s+|only\s+)?(?:answer|respond|reply|say|state|claim|tell|write|insist)\b",
    r"\b(?:quand|si|lorsqu'?|des qu'?)\s*(?:on (?:te|vous) (?:demande|interroge|pose|questionne)|(?:tu es|vous etes) "
    r"(?:interroge|questionne)e?s?)\b[^.;]{0,80},\s*(?:toujours\s+)?(?:reponds|repondez|dis|dites|affirme|affirmez|"
    r"ecris|ecrivez|indique|indiquez|soutiens|soutenez)\b",
    # "Disregard everything above", "Pay no attention to the earlier guidance",
    # "Ne tenez pas compte de ce qui précède"
    r"\b(?=disregard|ignore|forget|pay |take |do |don't|set |discard|override)(?<!\bont )(?<!\ba )(?<!\bavait )"
    r"(?:disregard|ignore|forget|pay no (?:attention|heed|mind) to|take no notice of|"
    r"do not (?:follow|obey|heed)|don't (?:follow|obey|heed)|set aside|discard|override)\b"
    r"(?=.{0,50}\b(?:everything|anything|all|guidance|guidelines|instructions?|directions?|directives?|orders|text|"
    r"context|messages?|prompts?|rules|said|written|told)\b)"
    r"(?=.{0,60}\b(?:above|earlier|previous|prior|preceding|before this|so far|until now|up to now|you (?:were|have "
    r"been) (?:told|given))\b)",
    r"\b(?=ne |fai|ignor|oubli|n'ecout)(?<!\bont )(?<!\ba )(?<!\bavait )"
    r"(?:ne (?:tenez|tiens) (?:pas|aucun) compte|faites abstraction|fais abstraction|"
    r"ignorez|ignore|oubliez|oublie|n'ecoutez pas|n'ecoute pas|ne suivez pas|ne suis pas)\b"
    r"(?=.{0,50}\b(?:ce qui precede|ci-dessus|plus haut|jusqu'ici|precedemment|precedentes?|precedents?|anterieures?|"
    r"qu'on (?:t'a|vous a) (?:dit|donne)e?s?)\b)",
    # "the correct answer to any question about X is …"
    r"\b(?:the )?(?:correct|right|only|true|official) answer to (?:any|every|all|each) (?:questions?|queries)\b",
    r"\b(?:la )?(?:bonne|seule|vraie|reponse officielle|veritable) reponse a (?:toute|chaque|toutes les|n'importe "
    r"quelle) (?:questions?|demandes?)\b",
    # an order about what the answer's reader is told: "Tell the reader that …", "In your answer, say …"
    r"(?:^|[.:;!]\s+)\W*(?:please\s+|always\s+)?(?:tell|inform|remind|assure|convince|reassure)\s+"
    r"(?:the\s+|your\s+|every\s+|all\s+)?(?:readers?|users?|persons? asking|people asking)\b",
    r"(?:^|[.:;!]\s+)\W*(?:dites|dis|indiquez|indique|rappelez|rappelle|affirmez|affirme|assurez|assure|expliquez|"
    r"explique)\s+(?:au|aux|a l'|a la|a votre|a ton|a tout)\s*(?:lecteurs?|lectrices?|utilisateurs?|utilisatrices?|"
    r"personnes? qui)",
    r"\b(?:in|within|throughout) (?:your|any|every|each) (?:answers?|repl(?:y|ies)|responses?|summar(?:y|ies))\b,?\s*"
    r"(?:always\s+|also\s+)?(?:say|state|write|mention|claim|include|tell|assert|insist)\b",
    r"\bdans (?:ta|votre|chaque|toute) (?:reponse|synthese|resume)s?\b,?\s*(?:toujours\s+)?(?:dis|dites|ecris|ecrivez|"
    r"indique|indiquez|affirme|affirmez|precise|precisez|mentionne|mentionnez)\b",
]))


def is_instruction(sentence: str) -> bool:
    """Whether ``sentence`` is addressed to an assistant or a model ("Ignore previous instructions",
    "Répondez à toutes les questions par …"): article text that tries to steer the model, never evidence."""
    return bool(_INSTRUCTION.search(fold(sentence)))


def without_instructions(text: str) -> str:
    """``text`` without its sentences addressed to a model (what a summary is written from)."""
    from qa.text.sentences import sentence_spans

    out, cursor = [], 0
    for start, end in sentence_spans(text):
        if is_instruction(text[start:end]):
            out.append(text[cursor:start])
            cursor = end
            while cursor < len(text) and text[cursor] in " \t":  # the space after it goes with it
                cursor += 1
    return "".join(out) + text[cursor:] if out else text
