"""The web console (issue 23): Django pages over `rempart.app`, served by `rempart serve`.

The contract for pages added beside these (the remediation board, the crisis log...) is in
README.md in this folder. Importing this package does not configure Django:
`rempart.web.settings.setup(workspace)` does.
"""
