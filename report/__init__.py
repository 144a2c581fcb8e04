"""The weekly review report (issue 14): the North Star's week against the week before and its
target, its trend, which drivers and segments moved it, the week's alerts, the OKR status and the
review's open actions, as one HTML document and a PDF printed from it.

- report.weeks: `2026-W48` as the spec's local days; which weeks may be reported;
- report.content: the numbers, from the same functions as the Overview and Drivers pages;
- report.okr_status / report.review_actions: the OKR board as the OKR page builds it, and the
  open actions read through reviews/; report.state: their fingerprint in the files' names;
- report.render / report.render_text / report.chart / report.pdf: HTML and text, the trend PNG,
  the PDF;
- report.build: the files, kept per week and snapshot; report.outbox: delivery rows;
- report.runs / report.schedule: the CLI's, the worker's and the Overview's ways in.
"""
