"""The Streamlit dashboard over the qcode library. It talks to the library only through coding.project."""
