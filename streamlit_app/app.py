"""The analyst app's entry point: `streamlit run streamlit_app/app.py` (the local stack runs it on port 8501).

Each page is a script of streamlit_app/views/, which also runs on its own (the tests load them one by one).
"""

import streamlit as st
from PIL import Image, ImageDraw


def icon() -> Image.Image:
    """Three rising bars, drawn here: a material or emoji icon would be fetched from a CDN by the browser."""
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 63, 63), radius=14, fill=(37, 99, 235))
    for index, height in enumerate((18, 30, 42)):
        left = 12 + index * 15
        draw.rounded_rectangle((left, 52 - height, left + 10, 52), radius=3, fill=(255, 255, 255))
    return image


st.set_page_config(page_title="Clickpath analyst", page_icon=icon(), layout="wide")

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/trends.py", title="Trends", icon=":material/show_chart:", url_path="trends"),
    st.Page("views/funnels.py", title="Funnels", icon=":material/filter_alt:", url_path="funnels"),
    st.Page("views/retention.py", title="Retention", icon=":material/grid_on:", url_path="retention"),
    st.Page("views/sql.py", title="SQL explorer", icon=":material/database:", url_path="sql"),
    st.Page("views/pipeline.py", title="Pipeline health", icon=":material/monitor_heart:", url_path="pipeline"),
]

st.navigation(PAGES).run()
