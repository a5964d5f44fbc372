"""Shipping generated servers to AWS Lambda: `package` builds the zip, `deploy` puts it live.

`package.py` turns a generated server folder into a deployment zip for one Lambda runtime and
architecture; `deploy.py` creates or updates the function with boto3, and `endpoints.py` gives it
a Function URL or an HTTP API.
"""
