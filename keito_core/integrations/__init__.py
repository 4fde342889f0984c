"""Agent framework integrations (optional extras): LangChain and CrewAI.

Each module imports its framework only when imported itself:
`from keito_core.integrations.langchain import KeitoCallbackHandler` needs langchain-core
(`pip install 'keito-tui[langchain]'`).
"""
