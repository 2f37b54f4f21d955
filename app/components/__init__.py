"""Custom Streamlit components (st.components.v2, no build step): their JS and CSS ship as package files."""
