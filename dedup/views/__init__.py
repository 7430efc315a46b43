"""Views and outputs of a scan: JSON/CSV/text records, paragraph alignment (diff), cluster
maps, explanations, the HTML report and scores against labels. No click, no rich."""
