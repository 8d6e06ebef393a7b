"""The floor below `engine` and `content`: reading the YAML files maintainers write, with line numbers
(`yaml_source`), and the problem tree every file's errors belong to (`errors`). It imports nothing
else of `bot`, so both floors above can use it without pointing at each other."""
