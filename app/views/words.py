"""Words: what respondents say most, by group; which words one group uses more than the rest (keyness); and the
places a word is said."""

from __future__ import annotations

import streamlit as st

from coding import words
from coding.analysis import TOTAL
from qcode_app import analysis_data, data, publication_download, sidebar, state

key, token = state.context()
filters = sidebar.current()
attributes = data.attributes(key, token)

st.title("Words")
if not attributes:
    st.info("Respondents have no attributes yet: ingest them with `qcode ingest FOLDER --metadata respondents.csv`.")
    st.stop()
names = list(attributes)
pick_by, pick_top, pick_stop = st.columns([2, 2, 2], vertical_alignment="bottom")
by = pick_by.selectbox(
    "Groups: respondents by",
    names,
    format_func=state.plain,
    **state.sticky("words_by", "group" if "group" in names else names[0], names),
)
top = int(pick_top.number_input("Words shown", 10, 500, step=10, **state.sticky("words_top", 30)))
stop = pick_stop.toggle("Leave out stop words", help="spaCy's English stop words.", **state.sticky("words_stop", True))

counts = analysis_data.word_counts(key, token, filters, by)
if counts.empty:
    st.info("No words: the respondents the sidebar keeps said nothing yet.")
    st.stop()
sizes = words.group_sizes(counts)
size_text = ", ".join(f"{k} {v:,}" for k, v in sizes.items())

st.subheader("Most frequent words")
freq = words.frequencies(counts, top=top, stop=stop)
screen = freq.reset_index().rename(columns={"word": "Word"})
st.dataframe(screen, hide_index=True, key="words_freq")
publication_download.downloads(
    screen,
    publication_download.notes(
        key,
        token,
        filters,
        f"occurrences of each word in respondents' turns by {state.plain(by).lower()}, and per 10,000 words",
        extra={"Words in each column (n)": size_text, "Stop words": "left out (spaCy)" if stop else "kept"},
    ),
    f"word-frequencies-{by}",
    "words_freq",
)

st.subheader("Keyness: one group against the rest")
groups = [c for c in counts.columns if c != TOTAL]
pick_group, pick_min = st.columns([3, 2])
group = pick_group.selectbox(
    state.plain(by), groups, **state.sticky("words_group", groups[0] if groups else None, groups)
)
least = int(pick_min.number_input("Used at least (times in all)", 1, 100, **state.sticky("words_min", 3)))
key_table = words.keyness(counts, group, stop=stop, min_count=least)
shown = key_table[key_table["log_likelihood"] >= 3.84].head(top)  # p < 0.05 at one degree of freedom
st.caption(
    "Log-likelihood (G2) says how sure the difference is (3.84: p < 0.05; 6.63: p < 0.01; 10.83: p < 0.001); "
    "log ratio says how big it is (+1: twice as frequent in the group, -1: half as frequent). Words over-used "
    f"by {group} come first."
)
key_screen = shown.reset_index().rename(
    columns={"word": "Word", "log_likelihood": "Log-likelihood", "log_ratio": "Log ratio", "more_in": "More in"}
)
st.dataframe(key_screen, hide_index=True, key="words_keyness")
publication_download.downloads(
    key_screen,
    publication_download.notes(
        key,
        token,
        filters,
        f"occurrences in {group} against all other {state.plain(by).lower()} values; words with G2 >= 3.84",
        extra={"Words in each column (n)": size_text, "Keyness": "log-likelihood (Rayson) and log ratio (Hardie)"},
    ),
    f"keyness-{by}-{group}",
    "words_keyness",
)

st.subheader("Where a word is said")
options = list(dict.fromkeys([*shown.index.tolist(), *freq.index.tolist()]))
if options:
    pick_word, pick_where = st.columns([3, 2])
    word = pick_word.selectbox("Word", options, **state.sticky("words_word", options[0], options))
    where = pick_where.selectbox("Among", [TOTAL, *groups], format_func=lambda v: "everyone" if v == TOTAL else v)
    base = analysis_data.corpus(key, token)
    _, _, respondents = data.filtered(key, token, filters)
    quotes = words.word_quotes(base, word, respondents, by, where)
    quotes = quotes[quotes["respondent_id"].isin(respondents["respondent_id"])]
    st.caption(f"{len(quotes):,} places")
    st.dataframe(
        quotes.rename(columns={"respondent_id": "Respondent", "document": "Transcript", "turn_index": "Turn index"})[
            ["Respondent", "Transcript", "Turn index", "left", "match", "right"]
        ],
        hide_index=True,
        key="words_quotes",
    )
