async def run(workdir, full=False):
    raise NotImplementedError
def render(r):
    return ""
