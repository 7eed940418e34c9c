"""The rulebook: rule-file format (:mod:`.model`), loading with positions (:mod:`.loader`), checking
(:mod:`.checker`), compiling to durable_rules data (:mod:`.compiler`), versions and diffs (:mod:`.diff`),
HR rule tests (:mod:`.testing`), the JSON Schema (:mod:`.schema`) and hot reload (:mod:`.watch`)."""
