"""Shipping to AWS Lambda and AgentCore Runtime: `package` builds the zip, `deploy` puts it live.

`package.py` turns a generated server folder into a deployment zip for one Lambda runtime and
architecture; `deploy.py` creates or updates the function with boto3, and `endpoints.py` gives it
a Function URL or an HTTP API. `agentcore_package.py` makes the AgentCore zip (the same contents
plus the `main.py` entry point; the proxy too), `agentcore.py` creates or updates the runtime and
`gateway.py` registers it with an AgentCore Gateway; `aws.py` holds what both targets share.
"""
