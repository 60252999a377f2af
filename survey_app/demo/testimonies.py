"""Synthetic lived-experience testimonies for the demo, built from templates with no real person in them."""


from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from questionnaires import Instrument


@dataclass(frozen=True)
class StoryTemplate:
    what_happened: str
    topics: tuple[int, ...]
    about_race: bool = False
    temporary: bool = False


ROLES = (
    "nurse", "healthcare assistant", "midwife", "porter", "junior doctor", "radiographer",
    "physiotherapist", "paramedic", "pharmacy technician", "domestic", "ward clerk",
)
PLACES = (
    "on a night shift", "during handover", "on a busy ward", "in a team meeting", "in the staff room",
    "at the nurses' station", "on a weekend shift", "in clinic",
)

# Placeholder-safe: no names of people, wards or teams, as the instrument asks of respondents.
TESTIMONIES = (
    StoryTemplate(
        "A senior colleague keeps commenting on my accent {place} and asks where I am 'really' from. "
        "Others laugh along and nobody says anything.", (1,), about_race=True),
    StoryTemplate(
        "I applied three times for a band 6 post and each time a white colleague with less experience "
        "was appointed. I was never given feedback on why.", (2, 9), about_race=True),
    StoryTemplate(
        "As a bank {role} I am always given the heaviest patients and the worst breaks, while the "
        "permanent staff choose first.", (10,), temporary=True),
    StoryTemplate(
        "I raised a concern about unsafe staffing and afterwards my shifts were quietly reduced. "
        "I am now scared to speak up about anything.", (7,), temporary=True),
    StoryTemplate(
        "A patient refused my care because of my skin colour {place}. My manager moved me to "
        "another bay instead of supporting me.", (1, 5), about_race=True),
    StoryTemplate(
        "My manager speaks to me in a very different tone from the rest of the team. In meetings my "
        "ideas are ignored, then praised when someone else repeats them.", (3, 5)),
    StoryTemplate(
        "I was put on a formal process for a mistake that a white colleague made the same month and "
        "who only had an informal chat.", (6,), about_race=True),
    StoryTemplate(
        "During Covid-19 I was sent to the red areas again and again, and my risk assessment was "
        "never done even though I asked for it.", (8,), about_race=True),
    StoryTemplate(
        "Agency staff are not allowed in the staff room {place}. We eat in the corridor and are not "
        "told about changes to patients' care.", (3, 10), temporary=True),
    StoryTemplate(
        "When I joined as an internationally recruited {role}, colleagues assumed I did not know how "
        "to do basic tasks and checked my work in front of patients.", (1, 4), about_race=True),
    StoryTemplate(
        "There are no Black people above band 7 in my directorate. When I asked about the leadership "
        "programme I was told it was 'not for people like me'.", (2, 9), about_race=True),
    StoryTemplate(
        "A colleague made a joke about my hijab {place}. When I complained I was told I was being "
        "too sensitive.", (1, 4), about_race=True),
    StoryTemplate(
        "I was blocked from booking shifts after a complaint about me. Nobody told me what the "
        "complaint was and I lost weeks of pay.", (6, 10), temporary=True),
    StoryTemplate(
        "I have acted up into a senior role for two years, but when the post was advertised it went to "
        "an external candidate I then had to train.", (2,)),
    StoryTemplate(
        "I reported bullying by a senior colleague to HR. The investigation took eight months and in "
        "that time I was the one moved.", (4, 6, 7)),
    StoryTemplate(
        "As a locum I was referred to the regulator after a disagreement with a consultant. The "
        "referral was closed with no case to answer, but the stress nearly made me leave.", (6, 10),
        about_race=True, temporary=True),
    StoryTemplate(
        "People mix up the names of the two Black {role}s on our team all the time, even after years "
        "of working together. It feels like we are interchangeable.", (1,), about_race=True),
    StoryTemplate(
        "I am left out of the team group chat where shifts and training are arranged, so I only hear "
        "about opportunities after they have gone.", (3, 2)),
    StoryTemplate(
        "My appraisal has been cancelled four times. Without it I cannot apply for the course I need "
        "for promotion.", (2, 5)),
    StoryTemplate(
        "I told the Freedom to Speak Up guardian about racist comments, but I asked them not to act "
        "because I was afraid it would be traced back to me.", (1, 7), about_race=True),
    StoryTemplate(
        "Bank staff do not get the same induction. On my first shift {place} I did not know where "
        "the emergency equipment was kept.", (10,), temporary=True),
    StoryTemplate(
        "A relative shouted racist abuse at me {place}. Security came, but no one asked me afterwards "
        "how I was or whether I wanted to report it.", (1, 4), about_race=True),
    StoryTemplate(
        "I work bank shifts alongside my permanent post. On the bank I am treated as an extra pair of "
        "hands, not as the experienced {role} I am.", (10, 3), temporary=True),
    StoryTemplate(
        "Every time I disagree with my manager I am described as 'aggressive'. White colleagues who "
        "say the same things are called 'assertive'.", (1, 5), about_race=True),
    StoryTemplate(
        "I asked for a reasonable adjustment for my health condition. It took a year and I was made to "
        "feel like a burden.", (5, 11)),
    StoryTemplate(
        "The shortlisting panels I have seen are all white. I stopped applying for promotion because "
        "I no longer believe the process is fair.", (2, 9), about_race=True),
)
EFFECTS = (
    "I dread coming to work and have started to look for jobs elsewhere.",
    "I lost confidence in myself and stopped putting my ideas forward.",
    "I could not sleep for weeks and took time off sick.",
    "It made me feel I do not belong here, even after many years of service.",
    "I now keep my head down and do only what I am asked.",
    "My family noticed how withdrawn I had become.",
    "I felt humiliated in front of patients and colleagues.",
    "I stopped reporting incidents because nothing changes.",
    "I feel I have to work twice as hard to be seen as good enough.",
    "I reduced my hours, which has cost me money.",
    "I felt angry, and then just tired.",
    "I no longer trust my manager or HR.",
)
HELPS = (
    "A manager who checked in with me afterwards and took it seriously.",
    "Clear, fair feedback after interviews, and diverse shortlisting panels.",
    "The same induction and access to training as permanent staff.",
    "Knowing that speaking up would not cost me shifts.",
    "Someone independent to talk to who would keep it confidential.",
    "Colleagues who spoke up at the time instead of staying silent.",
    "A quicker, fairer investigation where I was kept informed.",
    "Leaders who look like the staff they lead.",
    "A proper risk assessment without having to fight for it.",
    "Training for managers on racism and microaggressions, with consequences for repeat behaviour.",
    "Being treated as part of the team, not as a visitor.",
    "Mentoring or sponsorship towards a senior role.",
)


class LivedExperienceModel:
    """Draws a lived-experience response: a testimony, optional attributes, and consent choices."""

    def __init__(self, instrument: Instrument, rng: random.Random) -> None:
        self.instrument = instrument
        self.rng = rng
        self.questions = list(instrument.questions.values())

    def answers(self) -> dict[str, Any]:
        rng = self.rng
        template = rng.choice(TESTIMONIES)
        drawn: dict[str, Any] = {
            "what_happened": template.what_happened.format(role=rng.choice(ROLES), place=rng.choice(PLACES)),
            "how_it_affected_you": rng.choice(EFFECTS) if rng.random() < 0.8 else None,
            "what_would_have_helped": rng.choice(HELPS) if rng.random() < 0.65 else None,
            "topics": list(template.topics) if rng.random() < 0.85 else None,
            "ethnic_heading": self._ethnic_heading(template),
            "worker_type": self._worker_type(template),
            "consent_quote": rng.choices([1, 2], [55, 45])[0],
            "consent_share": rng.choices([1, 2], [25, 75])[0],
            "share_unredacted": rng.choices([1, 2, None], [30, 50, 20])[0],
            "urgent": rng.choices([1, 2, None], [15, 70, 15])[0],
        }
        answers: dict[str, Any] = {}
        for question in self.questions:
            value = drawn.get(question.id)
            if value is None or not question.is_shown(answers):
                continue
            if question.type == "multiple":
                value = [code for code in value if code in question.codes] or None
            elif not question.is_free_text and value not in question.codes:
                value = None
            if value is not None:
                answers[question.id] = value
        return answers

    def _ethnic_heading(self, template: StoryTemplate) -> int | None:
        # Lived-experience codes: 1 White, 2 Mixed, 3 Asian, 4 Black, 5 Other, 9 prefer not to say.
        if template.about_race:
            return self.rng.choices([2, 3, 4, 5, 9, None], [6, 30, 40, 4, 12, 8])[0]
        return self.rng.choices([1, 2, 3, 4, 5, 9, None], [35, 4, 20, 22, 3, 8, 8])[0]

    def _worker_type(self, template: StoryTemplate) -> int | None:
        # Lived-experience codes: 1 substantive, 2 bank, 3 agency, 4 locum, 5 other temporary, 9 not said.
        if template.temporary:
            return self.rng.choices([2, 3, 4, 5, 9, None], [50, 25, 10, 5, 5, 5])[0]
        return self.rng.choices([1, 2, 3, 9, None], [75, 8, 4, 5, 8])[0]
