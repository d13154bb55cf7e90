// Small behaviours on top of htmx. Each is keyed on a data-* attribute you can grep for.
