from ninja import NinjaAPI

api = NinjaAPI(
    title="巾帼 API", version="1", description="只读 API，按用户所在单位的下级范围授权。", urls_namespace="api"
)
