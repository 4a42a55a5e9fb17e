"""The analyst app: a multipage Streamlit app over the query API (docs/STREAMLIT.md)."""
